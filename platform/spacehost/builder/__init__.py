"""spacehost.builder"""
