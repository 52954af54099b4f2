"""Helper shared by the front-end tests: feed a signal in given chunk sizes."""

from uspd.dsp.frontend import FeatureBlock


def feed(fe, x, sizes):
    """Process x through fe in chunks of `sizes` then the rest; the joined FeatureBlock."""
    out, i = [], 0
    for n in sizes:
        out.append(fe.process(x[i:i + n]))
        i += n
    out.append(fe.process(x[i:]))
    return FeatureBlock.concat(out, fe.n_mics, fe.cfg.n_velocity_bins)
