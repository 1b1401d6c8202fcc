"""The study: clinical context, a patient's timeline, the cohort (case series and trials),
adjudication of two readers."""
