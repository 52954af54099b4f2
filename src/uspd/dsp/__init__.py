"""Front end: carrier detection, demodulation/decimation, clutter removal, Doppler features."""

from uspd.dsp.carrier import detect_carrier
from uspd.dsp.frontend import FeatureBlock, FrontEnd, FrontEndConfig

__all__ = ["FeatureBlock", "FrontEnd", "FrontEndConfig", "detect_carrier"]
