"""Accounts: the people who sign in (guardians, staff, regulators) and what they may act for."""
