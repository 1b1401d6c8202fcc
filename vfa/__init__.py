"""vfa: vertebral fracture assessment on lateral spine radiographs.

Pure Python + numpy core (no Qt). See README.md and docs/ for the design;
the clinical rules implemented are described in docs/clinical-method.md.
"""

__version__ = "0.1.0"
#: Version of the measurement method (the rules of docs/clinical-method.md as implemented here);
#: printed on every report and stored with every result.
METHOD_VERSION = "vfa-six-point/3"
