"""Citizen assemblies: announcing them, the places people take, and what they are told about them."""
