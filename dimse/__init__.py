"""DIMSE (PS3.7): command sets, N-service and C-ECHO messages, statuses, data sets."""
