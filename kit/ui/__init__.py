"""Voilà apps: one reusable form builder and a model/view pair per screen."""
