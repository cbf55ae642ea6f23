"""spacehost.manifest"""
