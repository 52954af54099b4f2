"""uspd: ultrasonic motion and presence sensing with an ordinary loudspeaker and microphones."""

__version__ = "0.1.0"
