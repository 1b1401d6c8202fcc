"""The clinical method (docs/clinical-method.md): levels, geometry, settings, grading,
morphometry, comparison, age, angles, qualitative observations, precision and agreement.
Pure numbers and rules: imports only the foundation (vfa.errors, vfa.atomic, vfa.events)."""
