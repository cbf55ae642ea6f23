"""spacehost.api"""
