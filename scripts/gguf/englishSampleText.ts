/**
 * A few paragraphs of plain English, written for this project, on which the synthetic BPE
 * vocabulary learns its first merges, so that English prompts split into word-like tokens
 * ("Ġthe", "ing", "Ġand") the way they do with a real byte-level BPE vocabulary.
 */
export const englishSampleText = `
The model reads the prompt one token at a time, and for every token it has to pass the whole
stack of layers. When the weights do not fit in the memory of the graphics card, they are read
from the disk into pinned memory and then copied to the card, layer after layer, while the
previous layer is still being computed. The time it takes is set by the slowest of the three
links: the disk, the bus and the card itself.

There was once a little robot that lived in a house at the edge of the town. Every morning it
opened the windows, watered the plants in the garden and made tea for the old woman who lived
there with it. She told it stories about the sea, about the ships that came into the harbour
and the people who sailed on them, and the robot listened to every word. One day she asked it
what it wanted to do when the summer was over. The robot thought for a long time and then said
that it wanted to see the sea for itself, and to find out whether the stories were true.

So they packed a bag with bread, cheese and apples, and they walked down the hill to the
station. The train was late, but nobody minded. They sat by the window and watched the fields
and the trees go by, and the woman pointed at the birds and said their names. When they came
to the coast the wind was strong and the water was grey and green and white, and it was much
bigger than the robot had thought. It stood on the sand for a long while, and then it turned
to the woman and said that the stories had been true after all, and that it was glad they had
come.

Numbers matter too: in 2024 there were 365 days, 12 months and 52 weeks, and 100 is ten times
10. Questions end with a question mark? Lists use commas, and sentences end with a full stop.
"Quotes" and (brackets) appear in text, as do words like don't, it's, we're and you'll.
`;
