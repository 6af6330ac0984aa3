"""Datasets and data modules shared by the trained methods."""
