"""The session store below `alchemist.persistence`, talking to storage only through the four
operations of `alchemist.store.blobs` (get, put-if-unchanged, list by prefix, delete-if-unchanged),
which the local folder (`folder_blobs`) and object stores provide.

Shared code above them: where a session's objects are (`layout`), reading its current state
(`heads`, and `legacy` for caches from before issue 13), committing changes and checkpoints
(`timeline`, `revision_log`), the history requests (`history_requests`), expiry (`sweep`), the
recent-sessions list (`recent`), and the session files a user loads (`session_files`).
"""
