"""The acoustic world: scenes, sources of motion, loudspeaker, microphones, room and renderer."""
