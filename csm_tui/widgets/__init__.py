"""The desk's widgets, one per module: case table, sync status, timeline and its entries,
case header and customer panel. Import them from their modules (nothing is imported here)."""
