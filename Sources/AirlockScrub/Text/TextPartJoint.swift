/// What a text part shares with its neighbours.
struct TextPartJoint {
    var secrets: [JointFinding] = []
    var code: [JointCode] = []
}
