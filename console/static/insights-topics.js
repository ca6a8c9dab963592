// Plain Chinese names of the knowledge topics (knowledge/data/entries/<topic>.yml), for the
// insights page and the weekly summary.
"use strict";
window.INSIGHTS_TOPICS = Object.freeze({
  accessibility: "无障碍和加装电梯", adaptation: "居家适老化改造", assistive: "康复辅具",
  care: "照护服务", care_home: "养老院", care_mode: "手机关怀模式和智慧养老",
  community: "社区服务", culture: "文体活动", education: "老年大学",
  family_bed: "家庭养老床位", finance: "养老理财和防非法集资", general: "一般问题",
  health: "健康服务", home_care: "居家上门服务", ltc: "长期护理保险",
  meal: "老年助餐", pension: "养老金和社保", policy: "三年行动计划",
  products: "老年用品", scam: "防范诈骗", tourism: "老年旅游", trade_in: "以旧换新",
});
