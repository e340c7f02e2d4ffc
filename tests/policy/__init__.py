"""Tests of the CrossGuard policy pack in policy/."""
