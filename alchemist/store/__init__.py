"""The parts of the session store below `alchemist.persistence`: the disk (atomic writes, a
cross-process lock, version stamps, disk errors as StorageError) and the sweep (time to live
judged from stat only, a store clock a jumped wall clock cannot fool, one sweeper per process).

These are the operations an object-store backend (issue 13) would provide instead: get,
put-if-unchanged, list, delete-if-unchanged; everything above them is shared code.
"""
