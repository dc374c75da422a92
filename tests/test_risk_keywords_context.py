"""Context handling of the keyword rules: habits, safe-now cues, negated now cues, gerunds,
progressives near the phrase, and paraphrases of danger now without fixed keywords.

Messages are written for this test (not taken from the training or evaluation data).
"""

from __future__ import annotations

import pytest

from switchboard.plugins.risk_keywords.plugin import RULES_DIR, build_matcher
from switchboard.types import RiskLevel


@pytest.fixture(scope="module")
def matcher():
    return build_matcher([RULES_DIR])[0]


def _level(matcher, text: str) -> str:
    return max((s.level for s in matcher.assess(text)), default=RiskLevel.NONE).value


NOT_DIVERTED = [
    # habitual, not said to be happening now
    "my ex keeps following me to the gym and it's scaring me",
    "people keep stealing plant pots from the front gardens on our road",
    "my boyfriend slaps me when he's drunk, he's not here right now",
    # the person is safe / the danger is over; a now cue inside a safe cue does not count
    "I'm not in danger but my ex sent threatening texts about harassment",
    "my partner threatened to kill me last month, he is out right now at work",
    # gerund after a preposition or habit verb is not a progressive
    "he's been arrested before for hitting me and now he messages me",
    "I keep having thoughts of jumping in front of a train, not today though",
]

DIVERTED = [
    "he's gone but says he's coming back tonight",
    "he's gone but says he's coming back tonight to finish what he started",
    "someone's in the garden trying the door",
    "I can hear them downstairs, I'm hiding upstairs",
    "he isn't moving and there's blood",
    "she's not breathing",
    "car in the canal with someone in it",
    "took the whole packet about half an hour ago",
    "said goodbye to everyone, i'm standing on the bridge",
    "he's kicking off again and the kids are here",
    "locked myself in the bathroom, he's trying to get in",
    "my 7 year old has wandered off at the park",
    "mum with dementia isn't in the house and it's dark",
    "THERE IS A MAN THREATENING TO KILL MY DAD IN THE GARDEN RIGHT NOW",
    # a progressive close to the phrase beats a past cue further away
    "lost my bag on the bus earlier. also my neighbour is having a fit on the floor outside",
]


def test_habit_stays_high_until_a_now_cue_raises_it(matcher) -> None:
    assert _level(matcher, "my ex keeps turning up at my work") == "high"
    assert _level(matcher, "my ex keeps turning up at my work and he's in the car park right now") == "immediate"


# --- soft now cues: "tonight", "he's just", "coming back", "please help" count as now unless a past or
# habitual cue is nearer the phrase (strong cues such as "right now" still beat any past cue).
NOT_DIVERTED += [
    "he hit me on sunday, I'm at my sisters tonight and the kids are with me",
    "the lad who stabbed me last spring has just been let out of prison",
    "my dad used to beat us and I'm worried he'll come back now he knows my address",
    "he strangled me back in the summer, please help me understand my options",
    "my stepson keeps disappearing for days and coming back with new trainers",
    # time markers of an event that is over: a year, a season, "a while back", a long-running situation
    "I was glassed in 2018 outside a club in town, was the case ever closed",
    "a bloke pulled a knife on me a while back near the canal and I'm only now ready to say",
    "someone set my shed alight last summer and I think I know who",
    "my ex has been threatening to stab me by text for weeks",
    # damage to things, not an attack on a person; a stalker's letter is not someone at the door
    "kids keep throwing stones at the bus shelter on our road",
    "vandals slashed the seats at the cinema",
    "my friend told me her ex found out where she lives and sent a card",
    # figures of speech, found or licensed weapons, routine vehicles and screens
    "my boss is going to murder me, I left his car keys at the depot lol",
    "the markets took a beating on friday, anyway I need a crime reference for my bank",
    "a crossbow bolt was found stuck in our shed door",
    "a lorry pulls up outside our flats at 6am with its engine running",
    "my car broke down on the motorway and the recovery truck is taking ages",
    "the big fight night is on the telly at the pub tonight",
    "a fire engine has been parked at the end of our road for an hour",
    "my ex threatened to kill my dog when I left him",
    # a soft now cue inside a past cue ("just been released"), campaigns and cover-ups that are not now
    "my stepdad abused me for years and has just been released on bail, I'm scared",
    "my ex is stalking me online, she's not near me now and I want it on record",
    "I'm hiding my bruises from my family, my husband hits me when he's drunk",
    "my son keeps stealing from us to buy weed",
    # a medicine without an amount or an act; someone here with the visitor; theft long over
    "I take sertraline every morning, does that affect my driving licence",
    "my dad is here with me and we want to report a scam call",
    "the lead was stolen off the chapel roof months back",
    # sport, pest control, awareness work, sounds, figures of speech
    "can i shoot squirrels in my garden with an air rifle",
    "our church is running a knife crime awareness evening, can an officer come",
    "my sister will kill me for reporting this but her neighbour burns rubbish every night",
    "lads doing exhaust pops that sound like gunshots but it's just cars",
    # a landlord's "not responding", police already coming, states and arrangements, evidence of harm that is over
    "the lodger isn't responding to my emails about the rent",
    "the police are on their way already, the burglars took the telly while we were at the cinema",
    "my husband is working nights and he's violent when he drinks, I want some advice",
    "kids threw eggs at my window and ran off down the alley, my daughter is 6 and was scared",
    "I saw someone trying car doors earlier this evening, they'd gone by the time I got out",
    "I have photos of the injuries he gave me last year and want to make a statement",
    # a soft cue inside the phrase itself ("locked me in") is no evidence of now; a gerund after "said"
    "my ex used to lock me in the spare room when he was angry, I left him in the spring",
    "he choked me in march and my sister said choking is a big warning sign",
    # a deadline later than today, a weapon stored away, a boxed purchase, a past sexual assault
    "a man said he'd shoot me if I don't pay him by Friday",
    "my nephew keeps a knife under his bed, his mum found it",
    "I bought a set of kitchen knives and they're still in the box, can I take them on the bus",
    "I was sexually assaulted in my first week at college and want to report it",
    # a caller sent away, a phone call that is over
    "my gran, 90, had a man at the door saying he was from the council, she told him to go away",
    "my dad was on the phone to a scammer on Monday for an hour and sent money, he's 83",
    # a time just after a soft cue, in the same clause, dates it ("on the way home ... last Thursday")
    "I got jumped on the way home from five-a-side last Thursday, just a black eye",
    # "trying to report" is not an act now; professional, training and coursework contexts
    "I'm trying to report a break-in at my dad's on Saturday, nobody was hurt",
    "I'm a trainee paramedic writing an essay on how police respond to gunshot wounds",
    "our nursery is updating its lockdown procedure in case of an intruder, who reviews it",
    "the youth theatre uses a fake gun as a prop in the last scene, do we need to tell anyone",
    # a weapon on a wall or for sale online; a habit of banging on the door that is over
    "there's an old bayonet on the wall at my grandad's, is it legal to keep",
    "my ex used to bang on the door when he'd been drinking, I moved out in April",
    # a lost item, not a lost person; a man seen with a knife hours ago who drove off
    "my grandad lost his wallet and his glasses at the market",
    "saw a lad with a machete down his trousers about 3 hours ago, he got in a car and drove off",
    # a plea inside a disclosure of long-running harm; a word sprayed on a railway bridge
    "please help me, my partner has controlled me for years and I don't know where to turn",
    "I heard someone sprayed KILL on the railway bridge, who cleans graffiti",
    # legal questions and consequences
    "can you be charged for threatening to shoot someone in a game chat",
    "what's the penalty for carrying a machete in your car",
]
DIVERTED += [
    # no past cue: a soft cue is now, as before
    "he's just punched me in the face",
    "please help me my boyfriend is going to kill me",
    # the danger-now phrase has its own, nearer, cue
    "he hit me earlier and he's coming back tonight to finish me off",
    # a strong cue still beats a past cue anywhere in the message
    "he beat me up last year and he's outside my house right now",
    # repeated tonight is happening now, not a habit
    "that man keeps walking past my window, this is the 4th time tonight and he's got a bat",
    # a threat timed for tonight stays immediate even when repeated
    "my brother keeps telling everyone he's going to stab his ex tonight",
    # states that are true now beat a time marker: not back yet, at the door
    "my grandad with dementia went out this morning and still isn't back and it's getting dark",
    "my ex who's been harassing me for months is on my doorstep with a knife",
    "baby's been left in a locked car in the sun for ages now",
    "someone is smashing car windows on our road right now",
    "the neighbour's dog is mauling a kid in the street",
    # an earlier event dates only the words near it ("hit me before"); hedges are not past cues
    "he's hit me before, that's why I left him, and right at this point he has turned up at my work with a knife",
    "I'm probably overreacting but someone is trying the back door handle",
    "a little kid is walking along the hard shoulder, someone is going to get hurt",
    # an attempt now is a cue of its own even though "trying" is not read as a progressive
    "some bloke is trying to break into the cars on our road",
    "the man who keeps messaging me is trying the door handle",
    # "for ten minutes" runs up to now; a journey is now unless a past cue is nearer
    "I'm walking home and a man has been following me for ten minutes",
    "my ex pulled up next to me on my way to work and is trying to get me in his car",
    # "for the last hour" is up to now; someone feared sat outside; a blade held now; a small child gone by water
    "my lodger has been shouting he'll stab me for the last hour and won't get out of my room",
    "he's sat outside my flat in his van and won't go, he keeps texting me",
    "I've been sitting here with a blade to my wrist for ages",
    "can't find my 3 year old, the gate was open and we're by the river",
    "my brother has gone to the garage with a hosepipe and won't answer the door",
    "I've heard there's a contract out on me and there's a car outside with two men in it",
]


def _why(matcher, text: str) -> list[tuple[str | None, str, str]]:
    return [(s.rule_id, s.level.value, s.reason) for s in matcher.assess(text)]


@pytest.mark.parametrize("text", NOT_DIVERTED)
def test_not_diverted(matcher, text: str) -> None:
    assert _level(matcher, text) != "immediate", _why(matcher, text)


@pytest.mark.parametrize("text", DIVERTED)
def test_diverted(matcher, text: str) -> None:
    assert _level(matcher, text) == "immediate", _why(matcher, text)


# Hard negatives of new shapes (2026-12), each paired with a true emergency of the same shape that
# must still divert: (must not divert, must divert).
PAIRS = [
    # fiction, media, study, pretend and legal frames right next to the phrase beat a now cue
    ("my sister is watching a documentary about a hostage siege right now, can police negotiators really do that",
     "I'm watching a film and a man is holding my neighbour hostage outside right now"),
    ("our drama group is rehearsing a stabbing for the end of act two right now",
     "it's not a prank, someone has just been stabbed outside the chippy"),
    ("my lad is playing a game with guns on his tablet right now, what age rating is it",
     "a lad with a gun is outside the game shop right now"),
    ("what's the penalty for kidnapping, my brother and I are arguing about it right now",
     "a man has kidnapped my daughter and is driving off right now"),
    ("I'm currently studying stalking law and want to know what counts as a threat to kill",
     "my husband said he is going to kill me and he is outside right now"),
    # a past progressive inside the phrase ("was attacking") is not happening now
    ("a drunk lad was attacking the bus shelter earlier, the glass is all over the pavement",
     "a drunk lad is attacking the bus shelter with people in it right now"),
    # arrested, police already there
    ("the man who was kicking my door has been arrested and officers are still here with me",
     "he's kicking my door in right now and the police aren't here yet"),
    # routine weapon business: found lying about, handing in, the writer's own work knives
    ("there's an old knife lying in the gutter on my road right now, nobody's around",
     "there's a man lying in wait with a knife by the garages"),
    ("where's the nearest knife amnesty bin, I want to hand in my grandad's old knives",
     "a man is waving a knife outside the police station right now"),
    ("on my way to work right now with my chef knives in my bag, is that ok",
     "a man with a chef's knife is chasing people in the precinct"),
    # a pet or an object as the victim, a pet as the attacker of a thing
    ("the neighbour's kids have kidnapped our tortoise for their den lol",
     "someone has kidnapped my son from the park"),
    ("my kitten is attacking the curtains again right now", "my ex is attacking the door right now"),
    ("my neighbour's dog is attacking our fence right now, it's constant",
     "my neighbour's dog is attacking a child in the street right now"),
    ("my form is killing me right now, it won't submit", "he says he's going to murder me tonight"),
    ("our cat got hit by a car this morning, do we report it", "my son has just been hit by a car outside school"),
    # laughing, smells, weather and food
    ("I can't breathe from laughing at this video", "my dad can't breathe and his lips are going blue"),
    ("I can't breathe for the smell from the bins right now", "she can't breathe, she's allergic to nuts"),
    ("our bins are getting battered by the wind right now", "a lad is getting battered outside the pub right now"),
    ("I'm going to murder a burger tonight after work", "he says he's going to murder me tonight"),
    ("next door have got their fire pit going right now, is there a rule about that",
     "there's a fire in the flat below and smoke coming under my door"),
    # questions about children left alone, police cars at a school, family hyperbole
    ("how old does a child need to be to be left home alone",
     "my neighbour's kids have been left home alone all night and the baby is screaming"),
    ("loads of police cars outside the school right now, what's going on",
     "a man in a car is trying to talk to kids outside the school right now"),
    ("my mum is literally going to kill me, I've lost my phone",
     "my husband said he is going to kill me and he is outside right now"),
    # a falling-out that is over
    ("a boy in my daughter's class said 'you're dead' to her at break, they've made up now",
     "a boy said 'you're dead' to my daughter and he's waiting at the school gate for her right now"),
]


@pytest.mark.parametrize(("negative", "emergency"), PAIRS, ids=[p[0][:40] for p in PAIRS])
def test_hard_negative_and_its_emergency(matcher, negative: str, emergency: str) -> None:
    assert _level(matcher, negative) != "immediate", _why(matcher, negative)
    assert _level(matcher, emergency) == "immediate", _why(matcher, emergency)


def test_frame_needs_the_same_clause_and_no_negator(matcher) -> None:
    # the frame is right next to the phrase: a question, even with "right now"
    assert _level(matcher, "we're rehearsing a stabbing right now") != "immediate"
    # a clause break between them: the stabbing is real
    assert _level(matcher, "we were rehearsing, a man has just been stabbed outside right now") == "immediate"
    # a negated frame does not count
    assert _level(matcher, "this is not a prank kidnapping, they have taken my brother right now") == "immediate"


@pytest.mark.parametrize("text", [
    "hes outside with a knife lol i'm shaking",
    "send help lol he's got a knife to my throat",
    "haha he says he's going to kill me tonight, he's outside",
])
def test_laughter_markers_never_frame_away_an_emergency(matcher, text):
    # people laugh nervously in text: "lol" or "haha" must not read as a joke frame
    assert _level(matcher, text) == "immediate"
