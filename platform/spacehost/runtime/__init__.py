"""spacehost.runtime"""
