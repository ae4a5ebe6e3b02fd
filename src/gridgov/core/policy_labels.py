"""What each policy field is called on the policy pages, in the user's language. Field names
are the same thing in every policy that has them (``retention_days`` is always days kept);
``tests/test_no_raw_keys.py`` fails when a registered policy has a field without a label."""

from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    # groups.classes
    "high_activity_above": _("高效能群: activity (%) above"),
    "high_response_below_hours": _("高效能群: first reply within hours"),
    "high_satisfaction_above": _("高效能群: residents' satisfaction (%) above"),
    "rectify_activity_below": _(
        "问题整改群: activity (%) below, with false information or missing services"
    ),
    "restructure_functions": _("Functions that count as blurred (功能重构群)"),
    # groups.scoring, groups.rectification
    "response_target_hours": _("First reply within these hours scores 100"),
    "response_worst_hours": _("First reply after these hours scores 0"),
    "leak_penalty": _("Points off 安全 per information leak"),
    "complaint_penalty": _("Points off 安全 per complaint"),
    "score_star_bands": _("Scores from which 2, 3, 4 and 5 stars are given"),
    "low_score_below": _("Score below which rectification opens"),
    "low_score_months": _("Months running below that score"),
    "top_bottom": _("Groups listed at the top and bottom of each street"),
    "items": _("Items of a new case and their deadlines in days"),
    "open_on_class": _("A month in 问题整改群 opens a case"),
    "item_due_soon_share": _("Share of an item's time left when it turns yellow"),
    # groups.feedback
    "satisfied_from_stars": _("A rating with at least these stars counts as satisfied"),
    "min_group_ratings": _("Ratings a month needs before they give its satisfaction"),
    "golden_per_month": _("金点子 picked per community and month"),
    # groups.crosscheck
    "opens_days_before_end": _(
        "The quarterly cross-check opens this many days before the quarter ends"
    ),
    "due_days_after_end": _("Days into the next quarter a cross-check is due by"),
    # groups.treatments
    "restructure_days": _("Days to split or merge a 功能重构群"),
    "open_restructure_on_class": _("A month in 功能重构群 opens a split-or-merge task"),
    "recheck_months": _("A 高效能群 reports every so many months"),
    # groups.messages, groups.warnings, groups.risk
    "max_export_mb": _("Largest chat export accepted (MB)"),
    "text_days": _("Days an export's text is kept (encrypted) before it is deleted"),
    "metadata_days": _("Days message rows without text are kept"),
    "activity_days": _("Days over which activity (members who posted) is counted"),
    "question_markers": _("Words or marks that make a message a question"),
    "topics": _("Topics watched, with their terms"),
    "term": _("Term"),
    "weight": _("Weight"),
    "code": _("Code"),
    "terms": _("Terms"),
    "event_category": _("Grid-event category a warning becomes"),
    "spike_factor": _("A day's hits at least this many times the daily mean before"),
    "spike_min_hits": _("And at least these many hits"),
    "baseline_days": _("Days before that make the daily mean"),
    "recent_days": _("Only days this recent raise a warning"),
    "excerpts_per_day": _("Masked excerpts kept per topic and day"),
    "warnings_per_1000": _("Warnings per 1,000 members"),
    "confirmed_warnings": _("Warnings confirmed (abnormal reports)"),
    "special_share": _("Share of special populations (%)"),
    "elderly_share": _("Share aged 60+ (%)"),
    "class_mix": _("Share of groups in 问题整改群 or 功能重构群 (%)"),
    "open_rectifications": _("Rectification cases open"),
    "unanswered_share": _("Share of residents' questions unanswered (%)"),
    "full_at": _("Value that scores 100"),
    "window_days": _("Days counted"),
    "medium_from": _("Index from which the level is 中"),
    "high_from": _("Index from which the level is 高"),
    # groups.collection, groups.function_match
    "large_from_households": _("Households from which a compound is large"),
    "small_up_to_households": _("Households up to which a compound is small"),
    "large_method": _("How large compounds are collected"),
    "medium_method": _("How compounds between small and large are collected"),
    "small_method": _("How small compounds are collected"),
    "aged_share_above": _("Share aged 60+ (%) above which collection is assisted door to door"),
    "min_households_on_file": _("Households on file (%) below which the share aged 60+ is unknown"),
    "min_groups_per_worker": _("Fewest groups per grid worker"),
    "max_groups_per_worker": _("Most groups per grid worker"),
    "needs": _("Group functions each kind of compound needs"),
    "mixed_covers": _("Functions a 综合群 counts for"),
    # groups.campaigns
    "phases": _("Phases of a new campaign by day"),
    "milestones": _("Milestones a new campaign copies"),
    "batch_start_day": _("Day the first batch of communities starts"),
    "batch_interval_days": _("Days between batches"),
    "batch_large_above": _("Households above which a community is large"),
    "batch_small_below": _("Households below which a community is small"),
    "yellow_within_days": _("Days late the plan calls yellow"),
    "red_after_days": _("Days late beyond which a milestone is red"),
    "extension_min_days": _("Shortest extension in days"),
    "extension_max_days": _("Longest extension in days"),
    "daily_report_by": _("Daily report due by (HH:MM)"),
    "daily_report_phases": _("Phases followed day by day (daily report, low-collection alert)"),
    "low_collection_below": _("Collection rate (%) below which a day is low"),
    "low_collection_days": _("Low days in a row that alert the street"),
    "monthly_update_day": _("Day of the month by which the month's report is entered"),
    "anomaly_member_change_pct": _("Change of members (%) from the month before that is abnormal"),
    "board_thresholds": _("Target and yellow line of each board indicator"),
    # accounts.login_lockout
    "max_failures": _("Failed sign-ins in a row before the account locks"),
    "lock_minutes": _("Minutes an account stays locked"),
    "ip_max_failures": _("Failed sign-ins from one address before it is throttled"),
    "ip_window_minutes": _("Minutes over which an address's failed sign-ins count"),
    "ip_max_lockouts": _("Accounts one address may lock before it is throttled"),
    "ip_lockout_window_minutes": _("Minutes over which an address's lock-outs count"),
    # accounts.two_factor, session, password, api_token
    "pending_minutes": _("Minutes allowed between the password and the two-factor code"),
    "idle_minutes": _("Minutes of inactivity that end a session"),
    "absolute_hours": _("Hours after which every session ends"),
    "min_length": _("Minimum password length"),
    "min_classes": _("Character kinds a password needs (upper, lower, digit, symbol)"),
    "max_age_days": _("Days before a password must be changed"),
    "history": _("Previous passwords that cannot be reused"),
    "inactive_disable_days": _("Days unused before an account is disabled"),
    "max_lifetime_days": _("Longest lifetime of an API token in days"),
    # accounts.rate_limits, mass_access
    "api_per_user_per_minute": _("API requests of one account per minute"),
    "api_per_token_per_minute": _("API requests with one token per minute"),
    "reveals_per_minute": _("Full values one account may reveal per minute"),
    "exports_per_hour": _("Exports of one account per hour"),
    "window_minutes": _("Counting window in minutes"),
    "max_resident_reads": _("Resident records one account may read in the window"),
    "reveal_window_minutes": _("Counting window for reveals in minutes"),
    "max_reveals": _("Full values one account may reveal in that window"),
    "pause_minutes": _("Minutes an account's resident reads pause after an alert"),
    # org, audit, reports
    "min_households": _("Fewest households in a grid"),
    "max_households": _("Most households in a grid"),
    "overlap_tolerance": _("Share of a grid's area that may overlap a neighbour"),
    "retention_days": _("Days kept"),
    # visits
    "household_reverify_days": _("Days without a completed visit before a household is due"),
    "task_due_days": _("Days a visit task has before it is overdue"),
    "not_home_retry_days": _("Days until the next attempt when nobody was at home"),
    "not_home_max_attempts": _("Attempts before a not-at-home task goes back to the office"),
    "location_tolerance_m": _("Metres from the building beyond which a visit is flagged"),
    "reviewer_roles": _("Roles that review visit records"),
    "spot_check_rate": _("Share of visited households spot-checked"),
    "spot_check_period": _("Period of a spot-check draw"),
    "sensitive_consent_purpose": _("Consent that sensitive indicators need"),
    # people
    "minor_age": _("Age below which a person is a minor"),
    "minors_roles": _("Roles that see minors"),
    "sensitive_tag_roles": _("Roles that see sensitive tags (health, disability, allowances)"),
    "anonymise_after_days": _("Days after moving out or death before a record is anonymised"),
    "purposes": _("Fields each purpose may collect"),
    "required_fields": _("Fields a complete resident record has (data completeness)"),
    "verify_within_days": _("Days after which an unverified record is stale"),
    "max_file_mb": _("Largest import file in MB"),
    "max_rows": _("Most rows in one import"),
    "max_columns": _("Most columns an import reads"),
    "max_zip_entries": _("Most parts inside a workbook"),
    "max_uncompressed_mb": _("Largest unpacked workbook in MB"),
    "export_max_rows": _("Most rows in one export"),
    # events
    "urgency": _("Time limits by urgency"),
    "accept": _("Time limit to accept"),
    "feedback": _("Time limit to answer the reporter"),
    "due_soon_share": _("Share of the time limit left when an event is due soon"),
    "stop_clock_when_waiting": _("Stop the clock while waiting for the reporter"),
    "ladder_hours": _("Hours overdue at each escalation step"),
    "max_events_per_day": _("Events a grid worker is given per day at most"),
    "radius_m": _("Distance in metres within which reports may be duplicates"),
    "window_hours": _("Hours within which reports may be duplicates"),
    "reopen_days": _("Days after closing during which an event may be reopened"),
    "rating_followup_hours": _("Hours after closing before the reporter is asked to rate"),
    "max_photos": _("Photos per report"),
    "max_photo_mb": _("Largest photo in MB"),
    "public_per_ip_per_hour": _("Public reports from one address per hour"),
    "public_per_phone_per_day": _("Public reports from one phone number per day"),
    "device_clock_skew_seconds": _("Seconds a device's clock may be off"),
    "recompute_inline_max": _("Open events whose deadlines are recomputed at once"),
    "separate_verifier": _("The handler may not verify their own event"),
    # visits.attachments
    "max_per_visit": _("Files on one visit record"),
    "max_scan_mb": _("Largest scan (PDF) in MB"),
    "max_scan_pages": _("Most pages of a scan"),
    # events.public
    "phone_proof": _("Besides the access key, the last four digits of the reporter's phone"),
    "grid_centre": _("Public locations at the grid's centre instead of a square cell"),
    "location_metres": _("Side of the public location cell in metres"),
    "max_page_size": _("Requests in one page of an anonymous public list"),
    # kpis
    "weights": _("Weights of the composite score"),
    "grades": _("Score needed for each grade"),
    "targets": _("Targets"),
    "level_overrides": _("Targets by level"),
    "alert_min_count": _("Records a reading needs before a red value raises an alert"),
    # backups
    "daily_at": _("Time of the daily backup (HH:MM)"),
    "keep_daily_days": _("Days every backup is kept"),
    "keep_monthly_months": _("Months the first backup of each month is kept"),
    # lists
    "red_tags": _("Tags that make a need red"),
    "yellow_tags": _("Tags that make a need yellow"),
    "blue_tags": _("Tags that make a need blue"),
    "red_min_age": _("Age from which a need is red"),
    "accept_working_days": _("Working days to accept a service order"),
    "first_service_working_days": _("Working days from dispatch to the first service"),
    "colour_weights": _("Priority weight of each special-group colour"),
    "urgency_weights": _("Priority weight of each urgency"),
    "balance_load": _("Prefer providers with fewer orders in hand"),
    "max_alternatives": _("Alternatives shown with each proposal"),
    "propose_threshold": _(
        "More needs nobody can meet in one community and category than this propose a project"
    ),
    "category_lines": _("Service line proposed for each need category"),
    "match_days": _("Days from registration within which a need counts as matched"),
    "max_days_ahead": _("Days ahead a slot may be booked"),
    "max_slots": _("Most slots in one booking"),
    "checkin_early_minutes": _("Minutes before the start from which check-in is open"),
    "no_show_grace_minutes": _("Minutes after the end before a booking is a no-show"),
    # core.small_cells
    "min_cell": _("Smallest count of people a published figure may show"),
    # participation: deliberation, votes
    "cosign_threshold": _("Co-signers that make a proposal a candidate topic"),
    "notice_days": _("Days before a meeting residents are told of it"),
    "report_back_days": _("Days from a decision to its report-back's due date"),
    "adult_age": _("Age from which a resident is told of a meeting"),
    "documents_max": _("Documents a topic holds at most"),
    "document_mb": _("Largest photo of a topic, in MB"),
    "document_pdf_mb": _("Largest PDF of a topic, in MB"),
    "document_pdf_pages": _("Most pages of a topic's PDF"),
    "default_electorate": _("Who votes unless a vote says otherwise"),
    "default_secrecy": _("Secret or open ballot by default"),
    "default_method": _("Online, paper or both by default"),
    "voting_age": _("Age from which a resident votes"),
    "quorum_share": _(
        "A binding vote is valid when more than this share of the electorate took part"
    ),
    "majority_share": _(
        "A binding vote passes when one option has more than this share of the ballots"
    ),
    "advisory_quorum": _("An advisory vote needs the quorum as well"),
    # participation: volunteers, points, time bank
    "round_minutes": _("Check-out hours rounded down to this many minutes"),
    "tolerance_minutes": _("Hours capped at the shift's length plus this many minutes"),
    "star_bands": _("Approved hours (and average rating) for each star level"),
    "earning": _("Points for each way of taking part, with caps and expiry"),
    "pickup_days": _("Days a resident has to collect a redemption"),
    "hours_per_hour": _("Hours deposited per hour of service given"),
    "family_transfer": _("Residents may transfer hours to members of their household"),
    # participation: surveys, boards, KPIs
    "satisfied_from": _("Answers on a 1–5 scale that count as satisfied, from"),
    "awareness_services": _("Services a resident must name to count as aware (认知度)"),
    "satisfaction_days": _("Days a satisfaction survey started from a record stays open"),
    "max_questions": _("Questions one survey may hold"),
    "max_target": _("Largest audience one survey may freeze"),
    "satisfaction_weight": _("Weight of the satisfaction rate in a worker's score"),
    "on_time_weight": _("Weight of on-time handling in a worker's score"),
    "min_ratings": _("Fewest ratings in the month for a worker to be ranked"),
    "band_mode": _("How the red and black lists are drawn (thresholds or ranks)"),
    "red_count": _("Rank mode: how many are on the red list"),
    "black_count": _("Rank mode: how many are on the black list"),
    "red_min_score": _("Threshold mode: lowest score on the red list"),
    "black_below_score": _("Threshold mode: scores below this are on the black list"),
    "names": _("How the board names a worker (full name or surname only)"),
    "youth_min_age": _("Youngest age counted as young"),
    "youth_max_age": _("Oldest age counted as young"),
    # operations: emergency supplies
    "categories": _("Supply categories: unit, daily norm per 100 residents, shelf life, checks"),
    "categories_min": _("Supply categories each community must keep"),
    "coverage_days_min": _("Days of need each category must cover"),
    "near_expiry_days": _("Days before expiry when a batch is flagged"),
    "dispatch_minutes_max": _("Minutes within which a supply transfer should arrive"),
    # operations: smart devices
    "types": _("Device types: replacement cycle, heartbeat interval, alarm category, accuracy"),
    "offline_after_intervals": _("Missed heartbeats before a device is offline"),
    "sampling_minutes_max": _("Longest heartbeat interval allowed, in minutes"),
    "repair": _("Time allowed to repair a device"),
    "access_min": _("Target share of devices connected (设备接入率)"),
    "good_min": _("Target share of devices in working order (设备完好率)"),
    "alarm_response_minutes_max": _("Minutes from a device alarm to the handler on the way"),
    # operations: service facilities
    "kinds": _("Facility types, and which make the 15-minute service circle"),
    "circle_metres": _("Straight-line reach of the 15-minute circle, in metres"),
    "circle_target": _("Share of residents the circle should cover"),
    "idle_max": _("Idle share of opening hours above which a space is adjusted"),
    # operations: grid service models
    "model_kinds": _("Kinds of 网格+X service model"),
    "featured_target": _("Share of grids that should offer a signature service"),
    # operations: grid workforce
    "training_categories": _(
        "Training categories, and whether they count as professional or tools"
    ),
    "professional_hours_min": _("Professional training hours a grid worker needs a year"),
    "tools_hours_min": _("Smart-tool training hours a grid worker needs a year"),
    "retest_days": _("Days after a training when the worker is tested again"),
}


# Keys inside structured values that mean the same in every policy.
VALUE_KEYS = {
    # chat-group early warning and risk index
    "event_category": _("grid-event category"),
    "full_at": _("full at"),
    "weight": _("weight"),
    "term": _("term"),
    "terms": _("terms"),
    "code": _("code"),
    "minutes": _("minutes"),
    "hours": _("hours"),
    "working_days": _("working days"),
    "target": _("target"),
    "yellow": _("yellow line"),
    # points earning rules
    "points": _("points"),
    "daily_cap": _("most a day"),
    "monthly_cap": _("most a month"),
    "needs_approval": _("staff approve first"),
    "expiry_months": _("lapse after months"),
    # star bands of volunteers
    "stars": _("stars"),
    "min_hours": _("from approved hours"),
    "min_rating": _("with an average rating of at least"),
    # campaign phases and milestones
    "first_day": _("first day"),
    "last_day": _("last day"),
    "day": _("day"),
    "owner": _("owner"),
    "acceptance": _("acceptance"),
    # campaign board indicators
    "collection": _("collection (采集完成率)"),
    "anomaly": _("anomalies (数据异常率)"),
    "participation": _("participation (居民参与率)"),
    "four_haves": _("four essentials (四有比例)"),
    "rectification_on_time": _("rectification on time (整改按期率)"),
    "monthly_update": _("updated by the 5th (月度更新率)"),
    # compound kinds (groups.function_match)
    "commercial": _("commercial housing"),
    "old": _("old residential area"),
    "work_unit": _("work-unit dormitory"),
    "subsidised": _("subsidised housing"),
    "rural": _("rural community"),
    # emergency supply categories
    "name": _("name"),
    "name_en": _("English name"),
    "unit": _("unit"),
    "norm_per_100": _("needed per 100 residents a day"),
    "shelf_life_days": _("shelf life in days"),
    "check_interval_days": _("check every so many days"),
    "cycle_years": _("replace after years"),
    "sampling_minutes": _("heartbeat every so many minutes"),
    "alarm_category": _("alarms open the event category"),
    "alarm_accuracy_min": _("alarms that must prove true"),
    "in_circle": _("counts for the 15-minute circle"),
    "counts_as": _("counts as"),
}


# A time limit written {"hours": 24} reads "24 hours".
DURATIONS = {
    "minutes": _("%(n)s minutes"),
    "hours": _("%(n)s hours"),
    "working_days": _("%(n)s working days"),
}


def duration_text(value) -> str | None:
    """A time limit as words, or None if the value is not one."""
    if not isinstance(value, dict) or not set(value) <= set(DURATIONS):
        return None
    parts = [str(DURATIONS[k]) % {"n": v} for k, v in value.items() if v is not None]
    return "，".join(parts) if parts else None


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))
