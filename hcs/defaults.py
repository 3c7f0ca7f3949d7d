"""What hcs calls itself and its peer on the wire when the configuration does not say.

Application knowledge, kept out of ``dul`` (whose own default AE title is neutral): the
calling AE title of every association hcs opens (``calling_ae`` in ``hcs.toml``,
``--calling-ae`` on the command line, ``calling_ae_title`` per printer override it).
"""

CALLING_AE_TITLE = "HCS_PRINT_SCU"

# The called AE title when none is given, for echo, status, print, the Python API and a
# printer table without ``ae_title``: what DCMTK's tools and pynetdicom use, so a printer
# set up for them answers us too.
DEFAULT_CALLED_AE = "ANY-SCP"
