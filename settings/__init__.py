"""Typed stack settings: one pydantic model, read once from one structured config key."""

from .base import SETTINGS_KEY
from .loader import SettingsError, load_settings, parse_settings
from .model import StackSettings

__all__ = ["SETTINGS_KEY", "SettingsError", "StackSettings", "load_settings", "parse_settings"]
