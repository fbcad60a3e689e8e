"""Demo saved filters (issue 25): the accounts of the demo group keep the filters their day starts with."""

from django.contrib.auth import get_user_model

from yunwei.core import saved_filters

# (account, list, name, filters)
SAVED = [
    ("tech", "incidents:incident-list", "我的未关闭故障", "mine=true&false_alarm=false&sort=-grade"),
    ("tech", "incidents:incident-list", "超时故障", "breached=true&sort=-reported"),
    ("lead", "changes:change-list", "待审批变更", "state=submitted&sort=window"),
    ("lead", "problems:problem-list", "已超期问题", "overdue=true&sort=deadline"),
    ("admin", "audit:event-list", "登录失败", "action=login_failed&sort=-number"),
]


def load(stdout=None) -> dict:
    accounts = {u.username: u for u in get_user_model().objects.filter(username__in={s[0] for s in SAVED})}
    made = 0
    for username, list_name, name, query in SAVED:
        if username in accounts:
            saved_filters.save(owner=accounts[username], list_name=list_name, name=name, query=query)
            made += 1
    if stdout is not None:
        stdout.write(f"Saved filters: {made}")
    return {"saved_filters": made}
