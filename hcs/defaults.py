"""What hcs is called on the wire when the configuration does not say otherwise.

Application knowledge, kept out of ``dul`` (whose own default AE title is neutral): the
calling AE title of every association hcs opens (``calling_ae`` in ``hcs.toml``,
``--calling-ae`` on the command line, ``calling_ae_title`` per printer override it).
"""

CALLING_AE_TITLE = "HCS_PRINT_SCU"
