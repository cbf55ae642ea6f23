"""spacehost.store"""
