"""spacehost.cli"""
