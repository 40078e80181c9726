"""Blind spot 2 (issue 11): a log comparison that also wants the candidate's log at least as
long when its last term is newer. It differs from etcd's only when a candidate with a newer
last term has a shorter log."""

BASE = "etcd-3.4"


def is_up_to_date(last_term, last_index, cand_term, cand_index):
    if cand_term > last_term:
        return cand_index >= last_index
    return cand_term == last_term and cand_index >= last_index
