"""Plausible synthetic Japanese business names (「株式会社やまと精工」「有限会社青葉商店」).

Names are random combinations of a stem and an industry word; they are synthetic and any
match with a real business is a coincidence.
"""

from __future__ import annotations

import numpy as np

STEMS = (
    "やまと",
    "青葉",
    "富士",
    "大和",
    "三和",
    "東洋",
    "日の出",
    "さくら",
    "みどり",
    "北斗",
    "朝日",
    "昭和",
    "平和",
    "丸八",
    "山一",
    "中央",
    "東和",
    "ひかり",
    "栄",
    "協和",
    "千代田",
    "若葉",
    "菊水",
    "旭",
    "明星",
    "あおい",
    "はるか",
    "一心",
    "大成",
    "双葉",
    "新生",
    "港",
    "白山",
    "高砂",
    "美濃",
    "信濃",
    "紀州",
    "浪速",
    "相模",
    "武蔵",
    "房総",
    "筑紫",
    "出雲",
    "吉備",
    "若松",
    "鶴見",
    "亀山",
    "柏",
    "藤",
    "楓",
    "椿",
    "柊",
    "欅",
    "銀河",
    "未来",
    "創和",
    "共栄",
    "誠和",
    "恒和",
    "晴海",
    "陽光",
    "つばさ",
)
SURNAMES = (
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
)
INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "06": ("建設", "工務店", "組", "建工"),
    "07": ("工業", "塗装", "内装", "建工"),
    "08": ("設備", "電設", "管工"),
    "09": ("食品", "製菓", "水産加工"),
    "15": ("印刷", "印刷所", "プリント"),
    "18": ("化成", "樹脂工業"),
    "24": ("製作所", "金属工業", "精工"),
    "26": ("機械", "精機", "工機"),
    "39": ("システム", "ソフト", "情報サービス"),
    "44": ("運輸", "運送", "物流"),
    "52": ("食品", "商事", "水産"),
    "53": ("建材", "鋼材", "商事"),
    "55": ("商事", "商会", "産業"),
    "57": ("呉服店", "洋品店", "衣料"),
    "58": ("商店", "酒店", "青果"),
    "60": ("商店", "堂", "薬局"),
    "69": ("不動産", "地所", "興産"),
    "74": ("設計", "測量", "技研"),
    "75": ("旅館", "ホテル", "荘"),
    "76": ("食堂", "亭", "飯店", "屋"),
    "78": ("美容室", "理容", "クリーニング"),
    "83": ("会", "クリニック"),
    "85": ("ケアサービス", "介護センター"),
    "89": ("自動車", "モータース", "オート"),
    "92": ("サービス", "ビルメンテナンス", "企画"),
}
DEFAULT_WORDS = ("商事", "産業", "企画")


def make_names(
    rng: np.random.Generator,
    industry_codes: np.ndarray,
    legal_form: np.ndarray,
    sole: np.ndarray,
) -> np.ndarray:
    """One name per business; ``legal_form`` is '' for sole proprietors."""
    n = industry_codes.size
    stems = np.asarray(STEMS)[rng.integers(0, len(STEMS), n)]
    surnames = np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    pick = rng.integers(0, 1 << 30, n)
    words = np.empty(n, dtype=object)
    for code in np.unique(industry_codes):
        idx = np.flatnonzero(industry_codes == code)
        choices = INDUSTRY_WORDS.get(str(code), DEFAULT_WORDS)
        words[idx] = np.asarray(choices, dtype=object)[pick[idx] % len(choices)]
    base = np.where(sole & (rng.random(n) < 0.5), surnames, stems).astype(object) + words
    prefix = rng.random(n) < 0.6  # 前株 vs 後株
    form = legal_form.astype(object)
    return np.where(sole, base, np.where(prefix, form + base, base + form))
