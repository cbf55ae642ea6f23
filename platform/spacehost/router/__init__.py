"""spacehost.router"""
