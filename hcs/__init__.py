"""hcs: a DICOM hardcopy server and Print Management SCU."""

__version__ = "0.1.0"
