"""The evidence bundle: its layout, custody log, receipts, item index and
integrity check."""
