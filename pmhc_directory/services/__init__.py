"""Use cases. Each function takes a Session (and any collaborator) and never reads the request."""
