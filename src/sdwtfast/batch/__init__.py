"""Archive whole folders: resumable, verified, parallel, on one machine or a Dask cluster.

:func:`archive` (``sdwtfast archive SRC DST``) codes every image under SRC (DICOM files,
multi-frame files, DICOM series folders with ``by="series"``, NIfTI, ``.npy``, PNG, TIFF) into
one container each under DST, in the same folder layout, and records every input in a SQLite
journal in DST (:mod:`~sdwtfast.batch.journal`). A run killed at any moment (``kill -9``,
power loss) resumes where it stopped; a second run of a finished archive writes nothing.
:func:`verify` (``sdwtfast verify DST``) decodes every container and checks it against the
journal; :func:`restore` (``sdwtfast restore DST OUT``) writes the inputs back (DICOM, NIfTI,
``.npy``, PNG / TIFF). ``sdwtfast.archive``, ``sdwtfast.verify`` and ``sdwtfast.restore`` are these
functions.

Modules
-------
plan       the walk of SRC: what each entry is and where its container goes
journal    the SQLite journal (schema, the run lock)
work       the per-input task (read, hash, code, write): pure, picklable
executors  in this process, a process pool, or Dask
run        one archive run        progress   bar, JSON lines, the summary table
verify     check an archive       restore    write the inputs back
settings   the encode options (recorded) and key material (never recorded)

Resume rules
------------
An input is coded again when it has no ``done`` row, when its size or modification time
differ from the row's, when the row was coded with other options (only with ``reencode``:
otherwise options that differ from the archive's are an error), or when its container is
missing or of another size. Inputs recorded ``failed`` (a bad file) are left until they change
(or ``retry_failed``); ``error`` ones (I/O, disk full, a worker that died) are retried on the
next run. A container is always written under its final name by one atomic publication
(:func:`sdwtfast.safefile.write_atomic`: temporary file, fsync, link or rename, fsync of the
folder), *before* its row says ``done``, so a row never points to a partial file.

Exit codes of the commands (the CLI's conventions)
--------------------------------------------------
``archive``: 0 every input archived (or skipped, or unchanged); 1 some inputs failed (listed
in the summary and the journal, the run went on); 2 invalid usage (DST inside SRC, options
that differ from the archive's, bad options); 3 I/O (another run holds DST, DST cannot be
created or written); 6 / 7 key problems.
``verify``: 0 every container decodes to what the journal recorded and nothing is missing
or extra; 4 any mismatch, missing, extra or not-yet-archived input; 2 not an archive; 6 the
archive is encrypted and no key was given; 7 wrong key.
``restore``: 0 every container written back; 1 some could not be (listed); 2 / 3 as above.
"""

from __future__ import annotations

from .journal import ArchiveBusyError
from .progress import Summary
from .restore import RestoreReport, restore
from .run import archive
from .verify import VerifyReport, verify

__all__ = [
    "archive",
    "verify",
    "restore",
    "Summary",
    "VerifyReport",
    "RestoreReport",
    "ArchiveBusyError",
]
