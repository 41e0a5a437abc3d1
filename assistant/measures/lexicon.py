"""The measure check's word lists and patterns: actions, bodies, posts, numbers, frequencies, scope.

These lists describe how official Chinese names actions and bodies; they are the vocabulary the element
extractor reads with, not thresholds fitted to any question set."""

from __future__ import annotations

import re

from index.text import CN_NUMERAL_CHARS, STOPWORDS

# Words that join items of one list (课后服务、作业管理; 甲与乙合并): the items have no order of their own.
COORDINATORS = ("、", "和", "及", "与")

# Words that carry no topic of their own in a measure.
FILLER = frozenset(
    """已经 已 把 给 让 它 它们 他们 将 对 了 的 地 得 着 过 进一步 认真 切实 扎实 积极 及时 严格 全力
    坚持 持续 不断 加强 加大 强化 推进 推动 落实 做好 抓好 一个 一所 一次 当 里 局里 这 那 等 并 及 与 和
    同时 目前 现在 今年 去年 已于 各项 有关 相关 具体 明确要求 要求 提出 做到 实现 完成 全部 所有 全体
    都 均 一律 全面 下来 起来 出来 上来 下去 当周 当月 当年 当天 当日 各种 各类 各个 一些 多种
    超过 超 逾 近 约 余 多 左右 以上 将近 大约 不少于""".split()
) | STOPWORDS

# Action verbs by class. Classes, not words, are compared: 退回 and 返回 agree, 调入 and 返回 do not.
ACTION_CLASSES: dict[str, tuple[str, ...]] = {
    "create": ("建立", "设立", "成立", "组建", "新建", "新组建", "设置", "创建", "增设", "建起", "挂牌"),
    "formulate": ("制定", "出台", "印发", "制发", "起草", "下发", "研究制定", "制定印发"),
    "revise": ("修订", "修改", "修订完善", "完善"),
    "abolish": ("撤销", "取消", "废止", "废除", "撤除", "裁撤", "注销", "撤并"),
    "merge": ("合并", "并入", "整合", "归并", "划入", "划转"),
    "stop": ("停止", "暂停", "中止", "终止", "叫停", "关停", "停办"),
    "prohibit": ("禁止", "严禁", "杜绝", "不得", "不准"),
    "increase": ("增加", "提高", "增配", "扩大", "新增", "增长", "上调", "提升", "增至"),
    "decrease": ("减少", "降低", "压缩", "削减", "下调", "缩减", "精简", "缩小"),
    "return": ("退回", "返回", "清退", "退出", "回到", "调回", "调出", "清理", "撤回"),
    "admit": ("调入", "纳入", "引进", "录用", "招录", "吸收", "转为", "列入", "编入", "转正"),
    "conduct": ("开展", "组织", "实施", "进行", "举办", "召开", "启动", "实行", "推行", "执行"),
    "check": ("审计", "检查", "督查", "核查", "巡查", "抽查", "排查", "督导", "自查"),
    "sign": ("签订", "签署"),
    "study": ("学习", "研讨", "研学"),
    "report": ("汇报", "报告", "通报"),
    "return_funds": ("退还", "退缴", "追回", "收缴"),
    # where decisions are taken: handed down to the units, or drawn up to the centre
    "delegate": ("下移", "下放", "下沉", "放权"),
    "centralize": ("上移", "上收", "收归", "收权"),
    "split": ("分设", "拆分", "分立"),
    # who carries a joint undertaking: the one at its head, or one of those taking part
    "lead": ("牵头",),
    "join": ("参与", "加入"),
}
ACTION_CLASS_OF: dict[str, str] = {w: cls for cls, words in ACTION_CLASSES.items() for w in words}
OPPOSITE_ACTIONS: dict[str, frozenset[str]] = {
    "create": frozenset({"abolish", "stop"}),
    "abolish": frozenset({"create", "formulate", "admit", "conduct"}),
    "formulate": frozenset({"abolish"}),
    "increase": frozenset({"decrease"}),
    "decrease": frozenset({"increase"}),
    "admit": frozenset({"return", "abolish"}),
    "return": frozenset({"admit"}),
    "conduct": frozenset({"stop", "abolish"}),
    "stop": frozenset({"conduct", "create"}),
    "delegate": frozenset({"centralize"}),
    "centralize": frozenset({"delegate"}),
    "merge": frozenset({"split"}),
    "split": frozenset({"merge"}),
    "lead": frozenset({"join"}),
    "join": frozenset({"lead"}),
}
# Classes that change what exists or who belongs where: the action on a named body must agree.
STRUCTURAL = frozenset({"create", "abolish", "merge", "split", "stop", "increase", "decrease", "return", "admit"})
NEGATION_WORDS = frozenset(
    {"不", "不再", "未", "没有", "尚未", "没", "未能", "并未", "从未", "不能", "从不", "并不", "未曾", "拒不", "不予", "无法",
     "暂未", "暂不", "暂缓"}  # jieba keeps 暂未 / 暂不 whole; 暂缓 (put off) is 暂不 as a verb
)
# Verbs whose object is itself an action (未完成整改, 没有开展审计, 尚未进行核查): a negation of one of them
# negates the action it carries. Chinese grammar's closed class of light verbs (进行, 加以, 予以, 给予, 作出) and
# phase verbs (完成, 开始, 继续), with 开展, which official texts use the same way.
LIGHT_VERBS = frozenset({"完成", "开始", "继续", "进行", "开展", "加以", "予以", "给予", "作出"})

# Bodies (departments, organisations) end in one of these; the family groups like with like.
ORG_FAMILIES: tuple[tuple[str, str], ...] = (
    ("委员会", "委"), ("常委会", "委"), ("全委会", "委"), ("办公室", "办"), ("研究室", "室"), ("领导小组", "小组"),
    # 巡察组, 纪检组, 督导组, 工作组: a group sent or set up to do a task is a body
    ("组", "小组"),
    # meetings that decide (校长办公会, 局党组会) are bodies too
    ("办公会", "会议"), ("党组会", "会议"),
    ("中心", "中心"), ("政府", "政府"), ("党组", "党组"), ("党委", "委"), ("纪委", "委"), ("支部", "支部"),
    ("局", "局"), ("厅", "局"), ("处", "处"), ("部", "部"), ("办", "办"), ("科", "科"), ("室", "室"), ("委", "委"),
    ("集团", "企业"), ("公司", "企业"),
    # institutes, hospitals, the State Council (战略研究院, 附属医院, 国务院); not 学院, which jieba's tags let
    # swallow the verbs before it (配齐学院班子)
    ("研究院", "院"), ("医院", "院"), ("国务院", "院"),
    # 组织部门, 纪检监察部门, 人才工作专门机构: a body named by its function
    ("部门", "部门"), ("机构", "部门"),
)
# A college (法学院, 商学院), a body only when the tagger reads the whole word as an organisation's name.
COLLEGE = "学院"
# A body named by its function is any body whose name holds that function: 财政部门 ~ 州财政局, 组织部门 ~ 党委组织部.
FUNCTIONAL = re.compile(r"(?:部门|机构)$")
# Words ending like a body that are not one: checked against the end of the suffix-bearing word.
NOT_ORG_TAILS = frozenset(
    """干部 全部 内部 外部 局部 各部 细部 基部 底部 顶部 头部 东部 西部 南部 北部 中部 俱乐部 大局 全局 当局
    格局 布局 结局 我局 本局 该局 好处 到处 之处 处处 用处 益处 坏处 长处 短处 难处 深处 住处 出处 此处 各处
    何处 举办 创办 主办 承办 督办 查办 开办 兴办 包办 代办 试办 合办 协办 筹办 怎么办 学科 本科 专科 外科
    内科 文科 理科 工科 百科 前科 各科 分科 教室 科室 实验室 会议室 阅览室 活动室 工作室 值班室 原委 两委
    餐厅 大厅 客厅 展厅 民办 公办 改组 重组 分组 编组 词组 机组 题组 班组""".split()
)
# Generic mentions that name no particular body.
NOT_ORG = frozenset(
    """局 处 部 办 科 室 委 厅 组 小组 中心 常委 党委 委员会 政府 各级政府 地方政府 人民政府 支部 党支部 办公室 本部
    局机关 机关 部门 相关部门 有关部门 职能部门 相关职能部门 有关职能部门 各部门 各职能部门 主管部门 业务部门
    机构 相关机构 有关机构 专门机构 各机构 部门机构 职能机构 研究院 医院""".split()
)
LEADING_FUNCTION = frozenset("经并由在向对将把被从与和及为给让同供")  # 供 as in 供局班子成员学习: for whom, not a name
GENERIC_ORG_PREFIX = re.compile(r"^(?:\*?[州省市县区]|我|本|该|各|校|学校)(?=..)")
# Titles of posts held in a body (纪委书记 → 纪委 + 书记): one list for both patterns below.
_BODY_TITLES = ("书记", "主任", "局长", "处长", "部长", "科长", "厅长", "组长", "主席", "委员")
ROLE_SUFFIX = re.compile(f"(副书记|{'|'.join(_BODY_TITLES)})$")
# The title a post ends in: 党委组织部部长 is a 部长, not a 组长, though 组…长 stand in it in order.
POST_TITLE = re.compile(f"(?:{'|'.join((*_BODY_TITLES, '校长', '院长', '领导', '成员'))})$")
PERSON = "人"
ROLE = re.compile(
    r"副?(?:书记|校长|院长|局长|厅长|处长|部长|科长|主任|组长|主席|[省市州县区]长(?![期效远久足]))|(?:校|院|局|厅|州|县|市)领导|班子成员|负责人"
    r"|(?<=[委组])(?:委员|常委)(?!会)"  # 纪委委员, 党委常委: a member of the body is a post
)
# Groups of people a measure is done by or for (中层干部, 一线教师, 辅导员): one group is not another, even
# where every other word of the sentence agrees.
GROUP = "人群"
GROUP_HEADS = frozenset({"干部", "辅导员", "班主任", "导师", "教师", "老师", "教职工", "职工", "党员"})
ROLE_PREFIX = re.compile(r"(?:党委|纪委|党组|党支部|支部|党总支)$")
ROLE_NOT_AFTER = re.compile(r"(?:负责制|办公会|信箱|热线|职责|班子)")

NUMERAL = rf"(?:\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+|\*+(?:\.\*+)?)"
# Measure words a count is written in: Chinese's closed class of them, less the calendar (2021年, 3月 are dates)
# and 届 (十九届 is the nineteenth, never nineteen of them).
_COUNTS = (
    r"人次|场次|学时|课时|小时|个月|名|人|次|个|所|项|条|%|批|场|家|册|篇|门|份|件|位|支|套|本|户|间|处|期|轮|种|类"
    r"|台|辆|张|部|节|堂|组|段|回|遍|起|座|栋|亩|吨|平方米|公里"
    r"|县|区|省|市|校"  # places are counted too: 赴五县, 两校
)
_UNITS = rf"万元|亿元|元|{_COUNTS}"
# 万/亿 before no other unit is an amount of money with 元 left out (设立100万产学研项目 = 100万元); before a
# measure word it multiplies the count (访问量超5万次 is 50000次).
UNIT = rf"(?:{_UNITS}|[万亿](?!{_UNITS}))"
BARE_MONEY = {"万": "万元", "亿": "亿元"}
MULTIPLIERS = {"万": 10_000, "亿": 100_000_000}
NUMBER = re.compile(  # 40余处 counts as 40处
    rf"(?<![第每周星\d])({NUMERAL})\s*(?:余|多)?\s*(?:([万亿])(?=(?:{_COUNTS})))?({UNIT})"
)
PERIOD = r"(?:星期|周|月|季度|季|年|半年|学期|天|日|双月)"
FREQUENCY = re.compile(rf"每(?:个)?({PERIOD})(?:(?:周|星期)?([一二三四五六日天])(?![次个遍回到至名项人]))?")
FREQUENCY_ONCE = re.compile(rf"[一两二]?({PERIOD})[一两二三\*]+次")
PERIOD_NORMAL = {"星期": "周", "季": "季度", "天": "日"}

# "由甲调整为乙": a change has a direction; the reverse change is another measure.
CHANGE = re.compile(
    r"(?:由|从)[“\"‘]?([^，。；、“”\"‘’]{1,12}?)[”\"’]?(?:调整|改|转|变更|变|划转|调)(?:为|成|到|至|回)[“\"‘]?([^，。；、“”\"‘’]{1,12}?)(?=[”\"’，。；、]|$)"
)
TOTAL_SCOPE = ("全部", "所有", "全体", "一律", "全都", "悉数", "全覆盖", "百分之百", "100%", "无一例外", "均已", "全面")
MANNER_SCOPE = frozenset({"全面"})  # says how thoroughly, not how many
# "every one" spelled as 每 + a measure word (每所学校, 每个县), and the adverbs that say "all of them"
EVERY = re.compile(r"每(?:一)?[所个名位家项条](?!月|年|周|天|日|次|星期|季|学期|小时)")
ALL_ADVERBS = frozenset({"都", "均", "皆"})
REGION_SCOPE = re.compile(r"全(州|省|市|县|区|国|校|系统|行业)")

FUNCTION_VERBS = frozenset(
    """协调 会同 联合 配合 根据 按照 通过 要求 督促 指导 向 与 和 及 同 由 经 在 对 给 把 将 为 被 到 让 请
    邀请 征求 报 报送 提交 移交 选派 派 推动 支持 加强 抓好 认真 负责 牵头 指定 确定 选 成为 作为 担任 出席
    列席 参加 主持 统筹 落实 深入 持续 坚持 支持""".split()
)


# Directed moves (direction.py): 从/由 mark an origin, 将/把 the thing moved; a move verb then a link
# (到/至/为/回/给/入) before the destination, or a verb whose object is the destination (移交宣传部门).
FLOW_ORIGIN_MARKS = frozenset({"从", "由"})
FLOW_OBJECT_MARKS = frozenset({"将", "把"})
FLOW_LINKS = frozenset({"到", "至", "为", "成", "回", "给", "入"})
FLOW_VERBS = frozenset(
    """调整 调 改 转 变更 变 划转 选派 选送 派 抽调 借调 输送 推荐 交流 分发 发放 下发 发送 派驻 调剂 分配 迁
    搬迁 迁移 退 返""".split()
)
FLOW_VERBS_DIRECT = frozenset(
    """移交 移送 转交 交由 交给 报送 上报 呈报 划入 并入 纳入 调入 转入 收归 下放 调回 退回 返回 调往 派往 送往
    转办 调出""".split()
)
# Who sends to whom: 甲发函至乙 (the subject is where the move starts), and who goes where: 让甲到乙锻炼,
# 选派甲赴乙 (a bare verb of going, the subject is what moves).
FLOW_SEND_VERBS = frozenset({"发函", "致函", "去函", "行文", "来函"})
FLOW_GO_VERBS = frozenset({"到", "赴", "去"})
FLOW_SKIP = frozenset({"　", "“", "”", "‘", "’", "了", "*"})

# Who leads and who joins: 甲会同乙 (甲 leads; jieba tags 会同 a noun, so it is named here).
PARTNER_WORDS = frozenset({"会同", "配合", "协助", "协同", "联合"})

# Whether a thing is done: a measure that says it is (已完成, 已全部完成退付, 已召开) against a sentence that
# says it is still under way, being prepared or explored, or not done (正在办理, 尚未完成, 积极筹备召开,
# 研究探索…做法). 已 before a verb is the perfective (已举办); 已有/已是 state what is, not what was done.
DONE = re.compile(
    r"(?:已经?|均已|全部|已全部)(?:全部)?(?:完成|办结|落实到位|整改到位|结清|到位|实现)|完成了|^完成"
    r"|(?<![而早])已经?(?![有是经])(?=[\u4e00-\u9fff])"
)
PENDING = re.compile(
    r"正在|尚未|尚在|仍在|有待|待办|未完成|未能完成|未整改|未办结|未到位|正抓紧|推迟|延期|暂缓|筹备|准备|拟于|拟将|探索"
    r"|鼓励|倡导"  # a wish stated, not a thing done (鼓励在校内外建设劳动教育基地)
)

# How far a piece of work has got: a measure that says it was finished (完成, 结题, 建成) against a clause that
# says it was only started or laid out (启动第三轮核算, 布局…项目). A start is done as a start (已启动 is no
# pending work), so this pair stands apart from DONE/PENDING.
FINISHED = re.compile(r"完成|结题|结项|建成|竣工|办结|验收")
STARTED = re.compile(r"启动|着手|布局|开工|开始|谋划")
# How far a document has got: issued and in force (已印发, 正式施行, 印发实施) against still being worked out
# (研究制定《…规划》, 研究起草). 研究制定了 is done; a measure that only says 制定 claims no more than the drafting.
ISSUED = re.compile(r"(?:已经?|正式)(?:印发|发布|施行|实施|出台|颁布)|印发(?:实施|施行)")
DRAFTING = re.compile(r"研究(?:制定|起草)(?!了)")

# "has no …": 无专人对接, 没有专职保密员 (the existence of the thing is denied).
ABSENCE_WORDS = frozenset({"无", "没有", "缺乏", "缺少", "尚无", "暂无"})
# Grades of posts and cadres: 副处级, 正科级, 厅局级.
# Levels of government or of a body (省级, 州级, 校级) are grades of the same kind.
RANK = re.compile(r"[正副]?(?:省部|厅局|县处|乡科|厅|局|处|科|股|国家|省|市|州|县|区|乡|镇|校|院)级")
# How a report names its own issuer: 我局, 本校, 我集团.
SELF_REFERENCE = re.compile(r"(?:我|本)(?:局|校|院|厅|委|部|处|集团|公司|单位|中心)")

# Words of one kind that exclude each other: a measure held in 寒假 is not the one held in 暑期.
EXCLUSIVE_DETAILS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("寒假",), ("暑假", "暑期")),
    (("春季", "春学期"), ("秋季", "秋学期")),
    (("上半年",), ("下半年",)),
    (("线上", "网上", "网络"), ("线下", "现场")),
    (("校内",), ("校外",)),
    (("境内", "国内"), ("境外", "国外")),
    (("专职",), ("兼职",)),
)
# Morphemes of opposite meaning. Chinese builds a word's opposite by trading one of them (有偿/无偿, 上调/下调,
# 校内/校外, 正职/副职, 长期/短期): two words alike but for one such pair say opposite things. This is how
# the language forms words, not a list of any question set's words; the pairs above are the ones it cannot
# derive (寒假/暑期).
OPPOSITE_MORPHEMES: tuple[tuple[str, str], ...] = (
    ("有", "无"), ("增", "减"), ("升", "降"), ("上", "下"), ("进", "出"), ("正", "副"), ("多", "少"), ("高", "低"),
    ("大", "小"), ("长", "短"), ("前", "后"), ("先", "后"), ("内", "外"), ("收", "支"), ("新", "旧"), ("早", "晚"),
    ("入", "出"), ("开", "关"), ("加", "减"), ("扩", "缩"), ("强", "弱"), ("公", "私"), ("专", "兼"), ("收", "放"),
)
OPPOSITE_OF: dict[str, frozenset[str]] = {
    m: frozenset({b for a, b in OPPOSITE_MORPHEMES if a == m} | {a for a, b in OPPOSITE_MORPHEMES if b == m})
    for m in {m for pair in OPPOSITE_MORPHEMES for m in pair}
}
