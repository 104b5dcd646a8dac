"""The repository as a whole: its CODEOWNERS and which scanned files it leaves unowned."""
