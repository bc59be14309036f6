//! The agent daemon's durable journal (SQLite). Being written: see the journal helper's brief.
