"""The setup steps: one module per step (check → plan → apply), and what they share.

The six in the guide's order are in `hsm_setup.steps.registry`; this package imports
nothing itself, so a module that needs one part of a step does not load them all.
"""
