"""Open Referral HSDS 3.1 in and out: the compiled (nested) JSON form of a service.

``serialize`` turns a ``Service`` into the dict of ``compiled/service.json``; ``deserialize``
checks such dicts and turns them into plain column values, collecting every error it finds.
The use cases that read and write the database are ``services.imports`` and ``services.exports``.
"""
