"""What a message signals before any classifier looks at it: a scam, a stop, a question.

These are patterns over the repaired text (see :mod:`textnorm.normalize`), written from the
scam types the fact sheet describes, not from any evaluation set. They are deliberately
independent of Rasa's intents: a scam is caught whatever intent the classifier picks.

* :func:`scam_signal` — does the message describe a possible scam, or ask whether
  something is one? Strong cues fire alone; weak cues need a second cue.
* :func:`stop_request` — does the *whole* message mean stop ("算了，不问了"), does it
  stop and switch ("算了，问问助餐"), or is it no stop at all ("政府管这个不")?
* :func:`is_question` — does it ask something (吗, 怎么, 多少, 哪, 谁, 能不能 ...)?
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ----------------------------------------------------------------- scams

# Each cue: (name, pattern). Strong cues describe the scam itself.
_STRONG: tuple[tuple[str, str], ...] = (
    ("scam_word", r"骗|诈|上当|传销|套路|忽悠|坑人|坑钱|假冒|冒充"),
    ("safe_account", r"安全账户|资金清查|资金核查|洗钱|涉嫌.{0,6}(案|犯罪)|通缉|逮捕令|传票"),
    (
        "code",
        r"验证码|校验码|动态码|短信码|动态密码|"
        r"(六位数|四位数|短信里的数|收到的数|那串数|那几个数).{0,8}(念|读|说|告诉|报|发|给)",
    ),
    (
        "secret",
        r"(银行卡|卡号|密码|网银|u盾|(支付宝|微信)(的)?(密码|账号|支付|付款码)).{0,8}"
        r"(告诉|给|发|说|报|输入|要|问)|"
        r"(告诉|给|发|说|报|输入|要|问).{0,8}(银行卡号|卡号|密码|u盾)",
    ),
    (
        "transfer",
        r"(转账|汇款|打钱|转钱|转款|把钱转|钱转过去|汇过去|转过去|转给|(?<![没未])(?<!没有)打到.{0,4}(卡|账户))|"
        r"(转|汇|打)了.{0,6}(万|千|块|元|钱)",
    ),
    (
        "fee_first",
        r"(先|要|得|让).{0,6}(交|付|缴|垫|打).{0,6}(手续费|保证金|押金|定金|订金|解冻费|服务费|税费|激活费|邮费|运费|会员费|工本费|鉴定费)|"
        r"先(交|付|给|打|转).{0,8}(钱|块|元|万)|"
        # Paid help with a pension, insurance or subsidy ("说能帮俺办长护险，收三百块手续费").
        r"(说|有人|上门).{0,8}(帮|替|代)(我|俺|您|你|咱).{0,10}(办|申请|领|弄|认证|提高|多领).{0,12}"
        r"(收|交|要|付|给).{0,8}(钱|费|块|元)",
    ),
    ("prize", r"中奖|中了.{0,4}奖|领奖|大奖|抽中|幸运用户"),
    (
        "miracle_cure",
        r"包治|根治|神药|特效药|祖传秘方|秘方|药到病除|治百病|不用吃药|停药|排毒|量子|磁疗|"
        r"(能治|治好|治愈).{0,6}(病|癌|糖尿病|高血压|腰|腿)|不用(去)?医院|不用打针|"
        r"(喝了|吃了|戴上|戴着|用了|睡了|泡了).{0,8}(降|治|好|除|通).{0,4}(血糖|血压|血脂|病|癌|血管)",
    ),
    (
        "free_gift_lecture",
        r"免费.{0,6}(领|送|发).{0,6}(鸡蛋|米|面|油|礼品|礼物|保健品|旅游)|"
        r"(讲座|听课|健康课|专家课|会销).{0,10}(送|领|免费|卖|买)|"
        r"(送|领|免费).{0,10}(讲座|听课|健康课)",
    ),
    (
        "high_return",
        r"高回报|高收益|高息|高利息|稳赚|保本.{0,4}(高|收益|赚)|年化|翻倍|返利|分红|原始股|拉人头|发展下线|内部消息|内部名额|"
        r"(每年|每月|每个月|一年|一个月).{0,4}(返|给|分|赚).{0,4}(百分之|\d+%|\d+块|\d+元|钱)|"
        r"(交|投|存|放).{0,8}(万|钱).{0,12}(返|回报|利息|分红|收益)",
    ),
    (
        "pension_project",
        r"养老(项目|基金|理财|投资|公寓.{0,6}(预售|认购|入股|投资))|床位.{0,6}(预售|预订|认购|入股)|以房养老",
    ),
    (
        "paid_pension_help",
        r"(花钱|交钱|给钱|收费|出钱|好处费|打点).{0,10}(认证|提高|涨|办|补缴|代办).{0,6}(养老金|退休|社保|医保|待遇)|"
        r"(代办|帮办|内部办理|走关系).{0,8}(养老金|退休|社保|医保|低保|补贴)|"
        r"(提高|涨|多领|补发|补办).{0,4}(养老金|退休金|待遇).{0,20}(交|给|付|打|转).{0,8}(钱|块|元|费)|"
        r"(认证|代办|帮办|办理).{0,12}(收|交|给|要).{0,8}(钱|块|元|费)|"
        r"(养老金|社保卡|医保卡|医保).{0,8}(异常|冻结|停发|过期|注销|被盗用)",
    ),
    (
        "family_trouble",
        # "要钱不" / "交钱吗" ask what something costs ("在儿子家过冬，坐公交要钱不").
        r"(孙子|孙女|外孙|儿子|女儿|闺女|亲戚|侄子|老同学|老战友).{0,12}"
        r"(出事|住院|被抓|车祸|撞人|打架|惹事|急用钱|(要|借|交)钱(?![不吗么没]))|"
        r"猜猜我是谁|换了?(个)?新?号码",
    ),
    (
        "fake_official",
        r"(自称|说是|冒充|假装).{0,8}(警察|公安|民警|检察|法院|法官|社保|医保|银行|客服|领导|干部|工作人员)|"
        r"(警察|公安|检察院|法院).{0,10}(打电话|来电话|视频|让我)",
    ),
    ("ai_imitation", r"ai换脸|换脸|声音.{0,6}(一模一样|很像|像我)|视频.{0,8}(借钱|要钱|转账)"),
    (
        "remote_control",
        r"共享屏幕|屏幕共享|远程(控制|协助|操作)|下载.{0,8}(app|软件|会议)|会议号|开会.{0,4}软件",
    ),
    (
        "refund",
        r"(退款|理赔|赔偿|退费|返还).{0,10}(链接|扫码|操作|验证|账户|卡号)|快递.{0,6}(丢|赔|理赔)",
    ),
    (
        "collectibles",
        r"(收藏品|纪念币|纪念钞|邮票|字画|古董|古玩|藏品|玉|镯子|翡翠|金条|红木).{0,10}(回收|回购|升值|拍卖|鉴定|高价)|"
        r"(原价|高价|加价|翻倍).{0,4}(回收|回购)|(回收|回购).{0,6}(加钱|翻倍|赚)",
    ),
    (
        "cheap_tour",
        r"(一百|几十|[一二三四五六七八九十百\d]{1,4}) ?(块钱|元)钱?.{0,4}(玩|游|旅游)[一两二三四五六七几\d]天|"
        r"(块钱|元)钱?.{0,2}[一两二三四五六七几\d]天.{0,2}(游|玩)|"
        r"零团费|负团费|不要钱的旅游|免费旅游|旅游.{0,6}(送|发).{0,4}(鸡蛋|礼品|米|面|油)",
    ),
    (
        "romance",
        r"网恋|网上.{0,6}(对象|老伴|男朋友|女朋友)|(对象|网友).{0,10}(借钱|投资|要钱|转账)",
    ),
)
# Weak cues: common in honest questions too; two of them, or one with retrieval support.
_WEAK: tuple[tuple[str, str], ...] = (
    ("link", r"链接|网址|二维码|扫码|扫一扫|点开|短信"),
    ("legit", r"正规|靠谱|可靠|合法|是真的|真的假的|可信|能信|信得过|有资质|备案"),
    (
        "stranger_call",
        r"陌生(电话|人|号码)|(不认识|陌生).{0,4}(人|电话)|打电话.{0,8}(说|让|要)|上门.{0,6}(推销|卖)",
    ),
    # Money, but not a question about what something costs ("要钱不", "多少钱", "不要钱").
    (
        "money",
        r"存款|积蓄|养老钱|退休金|存折|(?<!不要)(?<!多少)(?<!要不要)(?<!花)(?<!收)钱(?![不吗么嘛])",
    ),
    ("products", r"保健品|保健食品|理疗|按摩椅|床垫|净水器|治疗仪|推销|买.{0,4}(药|保健品)"),
    ("urgency", r"着急|急用|马上|立刻|赶紧|别告诉|保密|不要告诉"),
    ("bank_card", r"银行卡|卡号|身份证"),
)
_STRONG_RE = tuple((name, re.compile(p)) for name, p in _STRONG)
_WEAK_RE = tuple((name, re.compile(p)) for name, p in _WEAK)
# Talking about scams in general ("怎么防骗") is still answered with the warning first.


# Scam cues of a product or a practice someone asks about ("养老理财靠谱不", "保健品说能治好
# 糖尿病，上哪举报"), rather than of a stranger in contact with the writer now: such a message
# is answered after the warning (from its own entry when that is confident); the scam check's questions ("您已经把钱
# 转给对方了吗？") are for the contact scams (codes, transfers, fake officials, links ...)
# and for anyone who says they were cheated ("我好像被骗了").
PRACTICE_CUES = frozenset(
    {
        "fee_first",
        "miracle_cure",
        "free_gift_lecture",
        "high_return",
        "pension_project",
        "collectibles",
        "cheap_tour",
        "products",
        "legit",
        "money",
        "urgency",
    }
)


@dataclass(frozen=True)
class ScamSignal:
    """What the scam patterns found.

    Attributes:
        strong: Names of the strong cues found.
        weak: Names of the weak cues found.
    """

    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()

    @property
    def fired(self) -> bool:
        """A strong cue, or two different weak ones."""
        return bool(self.strong) or len(self.weak) >= 2

    @property
    def any(self) -> bool:
        """At least one cue (retrieval may confirm a single weak cue)."""
        return bool(self.strong or self.weak)


def scam_signal(text: str) -> ScamSignal:
    """Scam cues in ``text`` (lower-cased; repaired text works best)."""
    low = (text or "").lower()
    strong = tuple(name for name, rx in _STRONG_RE if rx.search(low))
    weak = tuple(name for name, rx in _WEAK_RE if rx.search(low))
    return ScamSignal(strong, weak)


# ----------------------------------------------------------------- stop

_STOP_WORDS = (
    "算了",
    "不问了",
    "不聊了",
    "不说了",
    "别说了",
    "不要了",
    "不用了",
    "不需要了",
    "不办了",
    "不看了",
    "不弄了",
    "停",
    "停下",
    "停止",
    "退出",
    "结束",
    "取消",
    "没事了",
    "拉倒",
    "罢了",
    "不想问了",
    "不想弄了",
    "不填了",
    "不查了",
    "打住",
    "别问了",
    "不要问了",
    "别查了",
    "先不了",
    "先停",
    "不弄这个了",
    "不想办了",
    "不想查了",
    "别弄了",
)
# These mean stop only when nothing else is said ("好了" alone; not "好了以后能去吗").
_ALONE_STOP_WORDS = ("行了", "好了", "够了", "先这样", "就这样", "可以了")
_STOP_RE = re.compile("|".join(sorted(map(re.escape, _STOP_WORDS), key=len, reverse=True)))
_ALONE_STOP_RE = re.compile(
    "|".join(sorted(map(re.escape, _ALONE_STOP_WORDS + _STOP_WORDS), key=len, reverse=True))
)
# Filler left around a stop ("算了吧，谢谢啊") that does not make it a new request.
_FILLER_RE = re.compile(
    r"[吧啊呀了嘛哈呢哦噢嗯唉哎呗的，。！？!?,.、~\s]|谢谢|多谢|麻烦了|辛苦了|你|您|我|先|吧|那|就|啦"
)
# "问问别的" and the like: the user wants to switch but has not said to what yet.
_SWITCH_RE = re.compile(
    r"(问问|问|说说|聊聊|换|看看)(别的|其他|其它|另外|另一个|个别的)(事|问题|的)?"
)


@dataclass(frozen=True)
class StopRequest:
    """How a message relates to stopping.

    Attributes:
        kind: ``"stop"`` (the whole message means stop), ``"switch"`` (stop, then a new
            request, perhaps empty), or ``"none"``.
        rest: For ``switch``: what the user asks next ("" when not said yet).
    """

    kind: str
    rest: str = ""


def stop_request(text: str) -> StopRequest:
    """Whether ``text`` means stop, stop-and-switch, or neither.

    A question that happens to end in 不 ("政府管这个不") is not a stop: only the stop
    words above count, and only when nothing but filler is left beside them.
    """
    low = (text or "").strip().lower()
    if low and not _FILLER_RE.sub("", _ALONE_STOP_RE.sub("", low)) and _ALONE_STOP_RE.search(low):
        return StopRequest("stop")
    match = _STOP_RE.search(low)
    if not match:
        return StopRequest("none")
    before, after = low[: match.start()], low[match.end() :]
    # A stop word inside a longer request ("好了以后能去吗", "行了没") is not a stop.
    if _FILLER_RE.sub("", before):
        return StopRequest("none")
    rest = _STOP_RE.sub("", after)
    switch = _SWITCH_RE.search(rest)
    rest = _SWITCH_RE.sub("", rest)
    rest_content = _FILLER_RE.sub("", rest)
    if not rest_content:
        return StopRequest("switch") if switch else StopRequest("stop")
    return StopRequest("switch", rest.strip(" ，,。.!！?？"))


# ----------------------------------------------------------------- questions

_QUESTION_RE = re.compile(
    r"([\u4e00-\u9fff])不\1|[吗么嘛？?]|怎么|咋|啥|什么|甚|多少|几|哪|谁|能不能|可不可以|可以不|行不行|中不中|"
    r"有没有|是不是|要不要|会不会|给不给|管不管|算不算|[能会有要给管算行中].{0,8}不[?？。]?$|"
    r"如何|为什么|为啥|咋办|怎样|多久|多长|多大|什么时候|啥时候|何时|^.{3,}[不没][?？。！!]*$|"
    # Two characters and 不 ("收费不", "贵贱不" ); not 没, which ends short answers ("俺还没").
    r"^[^不没]{2}不[?？。！!]*$"
)
# Explicit requests to be walked through (the guides ask a few questions, then say what
# applies). "帮我报个名" or "我想办" is answered first and the guide is offered.
_GUIDE_REQUEST_RE = re.compile(
    r"(帮|替|给)(我|俺|咱|老人|我妈|我爸|我们).{0,6}(看看|瞅瞅|瞧瞧|查查|查一查|查一下|查下|算算|判断|捋捋)|"
    r"一步步|一步一步|引导|带我|问我几个|问几个问题|能享受哪些|能享受什么"
)


_PRIVACY_RE = re.compile(
    r"(身份证|银行卡|卡号|密码|手机号|电话号|个人信息|隐私|住址).{0,12}(干啥|干什么|做什么|为什么|为啥|安全|泄露|会不会|给不给|要不要|记下|留着)|"
    r"(泄露|泄漏|隐私|个人信息).{0,6}(吗|不|咋办|怎么办)|信息.{0,4}(卖|泄露|泄漏|外传)|(问这么多|问这些).{0,6}(干啥|干什么|做什么|为啥)"
)


# Talk about scams in general: how to guard against them, what the government does.
_GENERAL_SCAM_RE = re.compile(
    r"防骗|防诈|反诈|打击|宣传|常见|有哪些|有啥|都有什么|怎么防|咋防|如何防|防范|识别|讲座|"
    r"政府管|管不管|谁管"
)


# Someone in contact with the writer, pressing them now.
_PRESSED_NOW_RE = re.compile(
    r"有人|上门|上俺家|上我家|来家|到家里|推销|让我|让俺|非让|非要我|逼我|逼俺|催我|催俺|"
    r"认识|网友|带我|带俺|拉我|拉俺"
)


def pressed_now(text: str) -> bool:
    """Whether someone in contact with the writer is pressing them now ("有人上门…")."""
    return bool(_PRESSED_NOW_RE.search(text or ""))


def general_scam_talk(text: str) -> bool:
    """Whether ``text`` talks about scams in general rather than one that is under way."""
    return bool(_GENERAL_SCAM_RE.search(text or "")) and not re.search(
        r"我|俺|咱|老伴|我爸|我妈|刚才|今天|昨天", text or ""
    )


# What a follow-up asks about a subject (cost, papers, place, who, age, how), small words and
# punctuation: what is left when a message names no subject of its own.
_NO_SUBJECT_RE = re.compile(
    r"多少钱|要钱|花钱|交钱|掏钱|付钱|交费|收费|收钱|免费|贵不贵|多少|怎么申请|咋申请|申请|怎么办|咋办|办理|怎么弄|咋弄|"
    r"去哪儿?|在哪儿?|哪里|哪儿|谁能|谁可以|谁来|能不能|带啥|带什么|要啥|材料|证件|岁数|多大|"
    r"是什么|是啥|有哪些|有啥|啥|什么|几点|什么时候|政府|国家|补贴|几回|几次|一个月|一年|岁数|"
    r"哪个电话|什么电话|啥电话|电话|号码|[找跟向]谁|说理|说去|反映|投诉|不满意|派人|[打问]|阳泉|咱这|咱们这|我们这|这边|本地|"
    r"我们|俺们|咱们|他们|我妈|我爸|老伴|[我你您他她俺咱家]|"
    r"[要能不吗么有的了个办那这就呢啊呀吧哦嗯，。？！?!,.、\s]|[给补管替帮领弄得才还也都]"
)


def names_no_subject(text: str) -> bool:
    """Whether a follow-up names no subject of its own, only what it asks about one
    ("要钱不", "去哪儿办", "多大岁数"): its own search finds some entry with those words,
    but about nothing in particular, so only the entry just discussed can give it one."""
    return len(_NO_SUBJECT_RE.sub("", text or "")) <= 1


# Messages plainly outside the plan: weather, sports, lottery, entertainment.
_OUT_OF_PLAN_RE = re.compile(
    r"天气|下雨|下雪|气温|彩票|双色球|大乐透|中奖号码|足球|篮球|世界杯|股票|基金走势|电视剧|"
    r"明星|笑话|菜谱|星座|算命|风水"
)


def out_of_plan(text: str) -> bool:
    """Whether ``text`` is plainly about something outside the plan (weather, sports ...)."""
    return bool(_OUT_OF_PLAN_RE.search(text or ""))


def privacy_worry(text: str) -> bool:
    """Whether ``text`` worries about personal data ("你要我身份证号干啥")."""
    return bool(_PRIVACY_RE.search(text or ""))


def is_question(text: str) -> bool:
    """Whether ``text`` asks something (rather than only states or requests)."""
    return bool(_QUESTION_RE.search(text or ""))


def asks_for_guide(text: str) -> bool:
    """Whether ``text`` asks to be walked through, rather than asking one question."""
    return bool(_GUIDE_REQUEST_RE.search(text or ""))
