"""spacehost.web"""
