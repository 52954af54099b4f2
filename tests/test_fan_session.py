"""benchmarks/fan_session.py picks empty rooms whose fan oscillates, from its seeds on."""

from benchmark_script import load_benchmark


def test_rooms_are_the_first_seeds_whose_fan_oscillates():
    mod = load_benchmark("fan_session")
    rooms = mod.oscillating_fans(3, 990_000_000, 30.0, "laptop")
    seeds = [seed for seed, _, _ in rooms]
    assert len(seeds) == 3 and seeds == sorted(set(seeds)) and seeds[0] >= 990_000_000
    assert all(fan.oscillate_deg > 0 for _, _, fan in rooms)
    assert all(scene.device.fs_hz == 48_000 for _, scene, _ in rooms)
    from uspd.sim.library import make_scene

    for seed in set(range(990_000_000, seeds[-1])) - set(seeds):  # skipped: fixed fans
        scene = make_scene("empty-fan", seed=seed, duration_s=30.0, device="laptop")
        assert all(not s.oscillate_deg for s in scene.sources if s.kind == "fan")
