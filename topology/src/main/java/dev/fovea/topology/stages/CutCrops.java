package dev.fovea.topology.stages;

import dev.fovea.topology.Member;
import dev.fovea.topology.crops.Crop;
import dev.fovea.topology.image.DecodedImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Stage 3: where each member looks at the image. Only boxes are computed here; the pixels of each
 * crop are cut from the decoded image straight into the model's input when its batch forms, so a
 * crop costs no copy of its own.
 */
public final class CutCrops extends Stage {
    private final List<Member> members;

    public CutCrops(List<Member> members) {
        this.members = List.copyOf(members);
    }

    @Override
    ImageWork apply(ImageWork work) {
        DecodedImage image = work.image();
        List<List<Crop>> crops = new ArrayList<>(members.size());
        for (Member member : members) {
            crops.add(member.crops().crops(image.width(), image.height()));
        }
        return work.withCrops(crops);
    }
}
