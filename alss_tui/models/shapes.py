"""How many stride-2 stages an image side allows: halve while even and >= 8."""


def downsample_stages(side: int) -> int:
    stages = 0
    while side % 2 == 0 and side // 2 >= 4:
        side //= 2
        stages += 1
    return stages


def side_after(side: int, stages: int) -> int:
    return side >> stages
