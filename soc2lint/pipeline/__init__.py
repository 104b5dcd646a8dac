"""The stages that know no platform: discover files, load and parse them (in parallel,
cached), and reuse whole results."""
