"""The desk's screens: the queue (default mode) and the case detail, one module each.

Import them from their modules; this package imports nothing, so that opening the queue does
not pay for screens it has not shown yet.
"""
