"""Offline exchange between laptops: panel packs (chair -> panellists) and returns (panellist -> chair).

The package's modules, each with one job:

* ``envelope``: the versioned file format and its seal (age, Ed25519); the one place files become bytes and back.
* ``keys``: where the campaign's and members' exchange keys are kept.
* ``pack`` / ``pack_framework``: export and import of panel packs (and the framework they carry).
* ``returns``: export of a member's return, and merging one into this database.
* ``batch``: importing several returns as one transaction, with a preview.
* ``origin``: where a campaign or framework came from (the trust rules).

What comes in is checked against the specs in ``db.specs.exchange``; file formats
are described in docs/exchange-format.md.
"""

from db.exchange.batch import ReturnBatch, import_any, import_return, import_returns
from db.exchange.common import PackImport, ReturnImport
from db.exchange.envelope import (
    FORMAT_NAMES,
    FORMAT_PACK,
    FORMAT_RETURN,
    MAX_FILE_BYTES,
    VERSION,
    Envelope,
    canonical,
    checksum,
    dumps,
    file_format,
    read_exchange_file,
    seal,
    sealed_format,
    unseal,
    write_exchange_file,
)
from db.exchange.pack import (
    CAMPAIGN_FIELDS,
    calibration_levels,
    export_pack,
    import_pack,
    import_pack_text,
    pack_content,
    pack_text,
    read_pack,
)
from db.exchange.returns import (
    export_return,
    merge_return,
    return_amendments,
    return_content,
)

__all__ = [
    "CAMPAIGN_FIELDS", "FORMAT_NAMES", "FORMAT_PACK", "FORMAT_RETURN", "MAX_FILE_BYTES", "VERSION", "Envelope",
    "PackImport", "ReturnBatch", "ReturnImport", "calibration_levels", "canonical", "checksum", "dumps",
    "export_pack", "export_return", "file_format", "import_any", "import_pack", "import_return", "import_returns", "merge_return",
    "import_pack_text", "pack_content", "pack_text", "read_exchange_file", "read_pack", "return_amendments",
    "return_content", "seal", "sealed_format", "unseal", "write_exchange_file",
]
