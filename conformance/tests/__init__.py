"""Tests of the ct-offload project (pytest collects them from here)."""
