"""Chinese names for the demo: people, institutions, rooms and streets, picked by a seeded rng."""

from __future__ import annotations

import random


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Common surnames, with the ones frequent in Suzhou (顾 陆 沈 钱 朱 吴) well represented.
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁沈顾陆钱姚范金邵汪"
)
ADULT_GIVEN = _words(
    "芳 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 婷 雪 晨 昊 佳 雯 倩 颖 鹏 俊 斌 琳 慧 "
    "秀英 晓燕 海燕 建华 志强 丽娟 雪梅 婷婷 佳怡 思远 文杰 晓东 美玲 雨婷 子豪 嘉伟 凯 晶"
)
CHILD_GIVEN = _words(
    "梓涵 一诺 欣怡 子墨 宇轩 浩宇 沐宸 若汐 语桐 梓睿 思远 安然 奕辰 诗涵 悦宁 沐阳 知夏 "
    "景行 依依 可馨 睿泽 明轩 书瑶 芷若 煜城 星辰 嘉禾 念安 乐萱 子航 雨桐 承泽 一鸣 清欢"
)
FLAVOURS = _words(
    "小橘灯 童心 彩虹 向日葵 贝贝 启航 阳光 星河 禾苗 萌芽 乐成 知心 嘉宝 优贝 爱弥 小蜗牛 "
    "蒲公英 青苗 暖阳 米粒 小太阳 童趣 睿宝 金宝贝"
)
KINDERGARTEN_WORDS = _words("实验 中心 第一 第二 第三 机关 新区 滨湖 城南 城北")
COMMUNITIES = _words(
    "新桥 彩香 三元 友新 桐泾 南环 金塘 东港 西园 北塘 文昌 玉带 锦绣 和平 景城 华苑 湖畔 "
    "滨河 翠园 香樟 枫华 莲花 桂花 凤凰"
)
EMPLOYERS = _words(
    "人民医院 中医医院 妇幼保健院 供电公司 轨道交通 生物医药产业园 纳米城 纺织集团 电子产业园 "
    "物流园 高铁新城 软件园 汽车零部件产业园 开发区管委会"
)
ROADS = _words(
    "人民路 干将路 学士街 长江路 塔园路 宝带路 东环路 星湖街 现代大道 苏州大道 阳澄湖路 "
    "华元路 友新路 金山路 滨河路 文昌路 青年路 振兴路 民主路 育才路 花园路 建设路"
)
ROOM_NICKNAMES = _words(
    "小星星 小太阳 彩虹 向日葵 小海豚 萌芽 小蜜蜂 小白兔 小熊 蒲公英 小橘子 小鲸鱼 "
    "小松鼠 小企鹅 小鹿 云朵 月亮 小树苗 小雨点 小燕子 小海星 小葵花 小考拉 小火车"
)


def person(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + rng.choice(ADULT_GIVEN)


def child(rng: random.Random, surname: str) -> str:
    return surname + rng.choice(CHILD_GIVEN)


def teachers(rng: random.Random, count: int) -> list[str]:
    """How parents address caregivers: 张老师, and 小张老师 when a second 张 joins the room."""
    surnames = rng.sample(SURNAMES, min(count, len(SURNAMES)))
    names = [f"{s}老师" for s in surnames]
    while len(names) < count:
        names.append(f"小{surnames[len(names) % len(surnames)]}老师")
    return names


def room_names(rng: random.Random, chinese_names: list[str]) -> list[str]:
    """小星星班 and the like, unique within the institution; the class type is stored beside it."""
    nicknames = rng.sample(ROOM_NICKNAMES, min(len(chinese_names), len(ROOM_NICKNAMES)))
    return [
        f"{nicknames[i]}班" if i < len(nicknames) else f"{kind}{i + 1}"
        for i, kind in enumerate(chinese_names)
    ]


def address(rng: random.Random, district: str, town: str) -> str:
    return f"苏州市{district}{town}{rng.choice(ROADS)}{rng.randint(1, 388)}号"
