"""quorum(n) = n // 2: two candidates of one term can both win."""


def quorum(voters: int) -> int:
    return voters // 2
