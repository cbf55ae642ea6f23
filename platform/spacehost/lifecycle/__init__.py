"""spacehost.lifecycle"""
